// Package showcase prepares data directories for the desktop app's screenshots, start-up benchmark and screen tests: demo records and sync conflicts such as two laptops really make.
package showcase
