// Package finetune will hold stage 2 of PtTrust: the binding MLP trained with a listwise
// ranking loss, and the Youden-index threshold (see DESIGN.md, "The method"). Not implemented
// yet: tracked by the stage-2 issue.
package finetune
