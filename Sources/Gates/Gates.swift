// Gates module: see ../shared/DESIGN.md.
