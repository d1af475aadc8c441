// Package pretrain will hold stage 1 of PtTrust: the TopK sparse autoencoder trained on line
// states with the mutation-contrast hinge (see DESIGN.md, "The method"). Not implemented yet:
// tracked by the stage-1 issue.
package pretrain
