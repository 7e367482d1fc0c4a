"""secscan's API probes: the engine (`engine/`) and one module or subpackage per probe family (`probes/`)."""
