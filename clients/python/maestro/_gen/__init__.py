"""Generated from proto/ by scripts/gen-python.sh. Do not edit."""
