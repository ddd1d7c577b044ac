"""The demo store that `seed_demo` builds: its data, its setup and a simulation of two months
of trading run through the real services."""
