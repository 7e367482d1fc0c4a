"""One module (or small subpackage) per probe family; `engine.registry.discover()` imports every one of them."""
