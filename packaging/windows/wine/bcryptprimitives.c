/*
 * bcryptprimitives.dll for Wine 8.0 (Debian 12's wine64), which lacks it:
 * Go 1.24 and later fill their random numbers with its ProcessPrng and stop
 * at start without it ("bcryptprimitives.dll not found"). Windows 10 and 11
 * have it. make screenshot-windows puts this into the throwaway Wine prefix
 * it starts the app in; it is never shipped. ProcessPrng is RtlGenRandom
 * (advapi32's SystemFunction036), in pieces of at most 1 GiB.
 */
#include <windows.h>
#include <ntsecapi.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T n)
{
	while (n > 0) {
		ULONG part = n > 0x40000000 ? 0x40000000 : (ULONG)n;
		if (!RtlGenRandom(data, part))
			return FALSE;
		data += part;
		n -= part;
	}
	return TRUE;
}
