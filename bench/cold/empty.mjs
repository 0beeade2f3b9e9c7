// Cold-start baseline: a Node process that does nothing.
