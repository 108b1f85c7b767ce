// CircuitsCLI module: see ../shared/DESIGN.md.
