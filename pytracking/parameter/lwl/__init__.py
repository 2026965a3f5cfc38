"""LWL parameter sets: ``lwl_ytvos`` (the official network and settings), ``default`` (the shipped
CPU-sized network)."""
