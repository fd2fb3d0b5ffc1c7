"""Regional financial-risk monitoring: evidence, entity linking, tags, the risk index, portraits and leads."""
