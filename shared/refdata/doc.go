// Package refdata loads and validates the embedded reference lists (regions, districts and coded terms named in Kyrgyz, Russian and English) that records refer to by code.
package refdata
