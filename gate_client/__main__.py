"""`python -m gate_client`: run the gate client."""

import sys

from gate_client.client import main

sys.exit(main())
