// Package layers holds the test of the import rule: data flows one way, datasets → models →
// states → pretrain → finetune → eval → experiments → cmd, and a package never imports (even
// through internal/ packages) one of a later stage.
package layers
