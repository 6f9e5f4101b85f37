// Package hostile is the hostile-laptop suite: tests that attack a real
// sync server over its wire protocol, with their own minimal client, as a
// stolen, broken or malicious laptop would.
package hostile
