"""The rempart platform: a Django project over the engine (design.md §2, layer 4)."""
