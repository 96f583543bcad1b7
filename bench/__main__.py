import signal

from bench.cli import main

code = main()
# The work is done and recorded: a late Ctrl-C must not turn the interpreter's shutdown (thread joins, atexit
# handlers of torch and ultralytics) into a traceback.
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGTERM, signal.SIG_IGN)
raise SystemExit(code)
