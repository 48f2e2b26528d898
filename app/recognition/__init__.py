"""Face recognition core: decode, detect, align, embed and classify faces (numpy in, numpy out).

Nothing here imports Flask, the database or the rest of app/; model weights load lazily, once per process.
"""
