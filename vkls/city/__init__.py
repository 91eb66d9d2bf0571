"""A whole city (or region) at scale: the tiled store, the synthetic city generator and the tiled check."""
