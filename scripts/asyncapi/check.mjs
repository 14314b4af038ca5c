// Parses an AsyncAPI document with the reference parser (@asyncapi/parser), resolving
// its $refs to the JSON Schema files beside it, and prints one JSON report on stdout:
// the diagnostics by severity and what the parsed document holds, for tests to assert on.
//   node scripts/asyncapi/check.mjs docs/asyncapi.yaml
import { Parser, fromFile } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "information", "hint"];
const parser = new Parser();
const { document, diagnostics } = await fromFile(parser, process.argv[2]).parse();
const report = {
  diagnostics: diagnostics.map((d) => ({ severity: SEVERITY[d.severity], code: d.code, message: d.message,
                                          path: d.path.join("/") })),
  valid: document !== undefined,
};
if (document) {
  report.servers = Object.fromEntries(document.servers().all().map((s) => [s.id(), {
    host: s.host(), protocol: s.protocol(), security: s.security().flatMap((r) => r.all().map((x) => x.scheme().type())),
  }]));
  report.channels = Object.fromEntries(document.channels().all().map((c) => [c.address(), {
    partitions: c.bindings().get("kafka")?.value()?.partitions ?? null,
    messages: c.messages().all().map((m) => m.id()),
  }]));
  report.messages = Object.fromEntries(document.components().messages().all().map((m) => {
    const payload = m.payload().json();
    const data = payload.allOf?.[1]?.properties?.data;
    return [m.id(), {
      key: m.bindings().get("kafka")?.value()?.key ?? null,
      headers: Object.keys(m.headers()?.json()?.properties ?? {}),
      envelope: payload.allOf?.[0]?.title ?? null,
      data: data?.title ?? null,
      data_required: data?.required ?? [],
    }];
  }));
}
process.stdout.write(JSON.stringify(report) + "\n");
