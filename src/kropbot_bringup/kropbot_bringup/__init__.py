"""Launch file and shared configuration that start the whole KropBot stack."""
