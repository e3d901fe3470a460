// Package cli is the entry point of the palisade command: Main builds a
// fresh cobra command tree per call, runs it, prints any error once, and
// maps it to the exit-code contract (0 ok, 1 denied, 2 bad input, 3 outside
// failure). Each command has one options struct with AddFlags; RunE
// validates the options and makes one library call.
package cli
