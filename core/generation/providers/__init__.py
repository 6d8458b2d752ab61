"""Image providers behind one interface (``base.Provider``)."""
