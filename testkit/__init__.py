"""facegate's test kit: what tests/, bench/ and demo/ share to run the system as its users would.

- scenes.py: what a gate's camera shows (face photos walking past a corridor) and the ground truth (Pass);
- cameras.py: the same scenes as live MJPEG cameras;
- processes.py: ManagedProcess, the one way to start, stop, kill and restart the web app, workers, camera_ingest,
  gate clients and servers;
- servers.py: private Redis and MariaDB servers that may be restarted;
- site.py: a scratch site (database, folders), people enrolled through the product's enrolment service, warm-up;
- gate_poller.py: a gate's HTTP client that records every event and when it arrived;
- scoring.py: events and log rows compared with the scenes' ground truth.

The product (app/, worker/, camera_ingest/, gate_client/) never imports it, and it is not part of the installed
distribution: like the tests, the benchmarks and the demo, it runs from a checkout.
"""
