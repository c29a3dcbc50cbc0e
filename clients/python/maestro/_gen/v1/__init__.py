"""Generated from proto/maestro/v1 by scripts/gen-python.sh. Do not edit."""
