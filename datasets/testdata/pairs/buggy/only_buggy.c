int only(void) { return 1; }
