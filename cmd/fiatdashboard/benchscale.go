package main

import (
	"context"
	"fmt"
	"io"
)

func runBenchScale(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "not yet")
	return 1
}

func runBenchPipeline(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "not yet")
	return 1
}
