package views

// ANSI styles for the plan and apply text views, written only when their
// Color option is set.
const (
	ansiReset   = "\x1b[0m"
	ansiBold    = "\x1b[1m"
	ansiRed     = "\x1b[31m"
	ansiGreen   = "\x1b[32m"
	ansiYellow  = "\x1b[33m"
	ansiMagenta = "\x1b[35m"
	// ansiClearLine returns to the start of the line and clears it, so that
	// apply's progress bar is redrawn in place.
	ansiClearLine = "\r\x1b[K"
)
