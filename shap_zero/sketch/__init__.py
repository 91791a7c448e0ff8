"""Learning sparse Fourier sketches from model queries (q-SFT)."""
