// Command ferretdb starts FerretDB embedded as a library, so the build needs
// nothing but the Go module proxy (a plain `go install` of FerretDB's own
// command panics on a version file that only its release build generates).
//
// FerretDB 1.24 runs each update as a read followed by a write, with nothing
// between concurrent writers: two `$inc` on one document can lose one, and a
// conditional update (`q > 0`) can succeed twice for the last unit. MongoDB
// makes every single-document write atomic, and Tsunagu relies on that (quota,
// capacity, caps, outbox). So FerretDB listens on a private Unix socket and
// this program fronts it with a small wire-protocol proxy that lets one
// document-writing or collection-changing command run at a time (reads stay
// concurrent). It is built against a copy of FerretDB with three small fixes
// (patches/patches.json, applied by scripts/stack.py): _id lookups use the
// _id index on SQLite, any filter with an _id equality is narrowed by it, and
// a bulk update no longer holds a pooled connection per statement until it
// ends (which hung every writer under a large import).
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // only served with --pprof-addr
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "MongoDB wire protocol listen address")
	sqliteURL := flag.String("sqlite-url", "file:data/", "SQLite backend directory URL")
	postgresqlURL := flag.String("postgresql-url", "", "PostgreSQL backend URL (instead of SQLite when set)")
	verbose := flag.Bool("verbose", false, "log every connection (default: warnings only)")
	pprofAddr := flag.String("pprof-addr", "", "serve Go's /debug/pprof on this address (off when empty)")
	flag.Parse()
	if *pprofAddr != "" {
		go func() { log.Println(http.ListenAndServe(*pprofAddr, nil)) }()
	}

	level := slog.LevelWarn
	if *verbose {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	socket := filepath.Join(os.TempDir(), fmt.Sprintf("tsunagu-ferretdb-%d.sock", os.Getpid()))
	_ = os.Remove(socket)
	defer os.Remove(socket)

	config := &ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{Unix: socket},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	}
	backend := "sqlite " + *sqliteURL
	if *postgresqlURL != "" {
		config.Handler, config.SQLiteURL, config.PostgreSQLURL = "postgresql", "", *postgresqlURL
		backend = "postgresql"
	}
	f, err := ferretdb.New(config)
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	done := make(chan error, 1)
	go func() { done <- f.Run(ctx) }()
	if err := waitForSocket(socket, 30*time.Second); err != nil {
		log.Fatal(err)
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatal(err)
	}
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	log.Printf("ferretdb listening on %s (%s), writes serialized", *listen, backend)
	serve(ln, socket)

	if err := <-done; err != nil && ctx.Err() == nil {
		log.Fatal(err)
	}
}

func waitForSocket(path string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", path); err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("ferretdb did not listen on %s within %s", path, timeout)
}
