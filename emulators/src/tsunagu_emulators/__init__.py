"""Provider emulators: an SMTP server and Twilio- and LINE-compatible HTTP servers.

The real SDKs talk to them (base URL overridden). They record every request, can be
told to fail, to answer 429 with Retry-After, and to post signed delivery callbacks.
"""

from tsunagu_emulators.recorder import Fault, Recorder
from tsunagu_emulators.server import EmulatorPorts, Emulators, start_emulators

__all__ = ["EmulatorPorts", "Emulators", "Fault", "Recorder", "start_emulators"]
