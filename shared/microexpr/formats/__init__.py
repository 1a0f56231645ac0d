"""File formats at the edge of the core: OBJ, tracks, FBX, glTF, and importers."""
