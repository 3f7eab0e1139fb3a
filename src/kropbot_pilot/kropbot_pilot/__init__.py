"""KropBot imitation pilot: record, train, pilot."""
