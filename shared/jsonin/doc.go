// Package jsonin decodes JSON that people and scripts write, strictly, with
// errors that name the line, column and field at fault.
package jsonin
