// Package pkgtest installs the packages make dist builds into a throwaway
// root and runs what they installed, as a machine that installed them
// would.
package pkgtest
