"""Personal data in free text: finding it and hiding it from those who must not read it."""
