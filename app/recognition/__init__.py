"""Face recognition core: decode, detect, align, embed and classify faces, train and store the classifier (numpy in,
numpy out).

Nothing here imports Flask, the database or the rest of app/ (tests/test_architecture.py checks it); the settings
reach it as a plain mapping (configured.py); model weights load lazily, once per process.
"""
