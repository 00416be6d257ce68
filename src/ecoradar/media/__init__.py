"""Media: attachments checked by their bytes, images re-encoded without metadata, files stored by
content hash."""
