; The Windows installer of the Kenesh desktop app (Кеңеш), for one person:
; no administrator rights, installed under %LOCALAPPDATA%\Programs\Kenesh,
; a Start-menu entry and a desktop shortcut named in Kyrgyz, an uninstaller
; listed in Settings > Apps. The records stay in %LOCALAPPDATA%\Kenesh (the
; app's data directory), which neither an upgrade nor the uninstaller
; touches. Built by make dist-windows with Debian's nsis:
;
;   makensis -DVERSION=0.5.0 -DEXE=Kenesh.exe -DICON=kenesh.ico -DOUT=kenesh-0.5.0-setup.exe kenesh.nsi
;
; /S installs (and Uninstall.exe /S removes) without a question. The app
; updating itself (desktop/internal/update) runs the new release's installer
; with /S /RESTART and quits: the installer waits for the running Kenesh.exe
; to end (up to a minute), replaces it and starts it again.

; A 64-bit installer (the app is 64-bit too): it runs where the app runs,
; and under Debian's wine64, which runs no 32-bit program.
Target amd64-unicode
ManifestDPIAware true
RequestExecutionLevel user
SetCompressor /SOLID lzma

!ifndef VERSION | EXE | ICON | OUT
  !error "usage: makensis -DVERSION=X.Y.Z -DEXE=Kenesh.exe -DICON=kenesh.ico -DOUT=setup.exe kenesh.nsi"
!endif

!define APP "Kenesh"
!define APP_KY "Кеңеш"
!define UNINST_KEY "Software\Microsoft\Windows\CurrentVersion\Uninstall\Kenesh"

Name "${APP_KY} (${APP}) ${VERSION}"
OutFile "${OUT}"
InstallDir "$LOCALAPPDATA\Programs\Kenesh"
InstallDirRegKey HKCU "Software\Kenesh" "InstallDir"
BrandingText "${APP_KY} ${VERSION}"

VIProductVersion "${VERSION}.0"
VIFileVersion "${VERSION}.0"
VIAddVersionKey /LANG=1049 "ProductName" "${APP_KY} (${APP})"
VIAddVersionKey /LANG=1049 "ProductVersion" "${VERSION}"
VIAddVersionKey /LANG=1049 "FileVersion" "${VERSION}"
VIAddVersionKey /LANG=1049 "FileDescription" "${APP_KY}: установка"
VIAddVersionKey /LANG=1049 "LegalCopyright" "Kenesh"

!include "MUI2.nsh"
!include "FileFunc.nsh"
Var Restart
!define MUI_ICON "${ICON}"
!define MUI_UNICON "${ICON}"
!define MUI_ABORTWARNING
!define MUI_FINISHPAGE_RUN "$INSTDIR\Kenesh.exe"
!define MUI_FINISHPAGE_RUN_TEXT "$(RunNow)"

!insertmacro MUI_PAGE_DIRECTORY
!insertmacro MUI_PAGE_INSTFILES
!insertmacro MUI_PAGE_FINISH
!insertmacro MUI_UNPAGE_CONFIRM
!insertmacro MUI_UNPAGE_INSTFILES

; NSIS has no Kyrgyz: the installer speaks Russian, or English on an
; English Windows; the app itself asks its language at the first start.
!insertmacro MUI_LANGUAGE "Russian"
!insertmacro MUI_LANGUAGE "English"

LangString RunNow ${LANG_RUSSIAN} "Запустить Кеңеш"
LangString RunNow ${LANG_ENGLISH} "Start Kenesh"
LangString DataKept ${LANG_RUSSIAN} "Записи остаются в $LOCALAPPDATA\Kenesh."
LangString DataKept ${LANG_ENGLISH} "The records stay in $LOCALAPPDATA\Kenesh."

Function .onInit
  StrCpy $Restart 0
  ${GetParameters} $R0
  ClearErrors
  ${GetOptions} $R0 "/RESTART" $R1
  IfErrors +2
  StrCpy $Restart 1
FunctionEnd

Section "Kenesh"
  SetShellVarContext current
  SetOutPath "$INSTDIR"
  ; The app that started this update may not have ended yet: wait until its
  ; program can be written (Windows keeps a running program's file locked).
  StrCpy $R2 0
  wait:
    IfFileExists "$INSTDIR\Kenesh.exe" 0 free
    ClearErrors
    FileOpen $R3 "$INSTDIR\Kenesh.exe" a
    IfErrors 0 opened
    IntOp $R2 $R2 + 1
    IntCmp $R2 120 free
    Sleep 500
    Goto wait
  opened:
    FileClose $R3
  free:
  ; The app itself, replaced whole by an upgrade.
  File "/oname=Kenesh.exe" "${EXE}"
  WriteUninstaller "$INSTDIR\Uninstall.exe"
  CreateShortCut "$SMPROGRAMS\${APP_KY}.lnk" "$INSTDIR\Kenesh.exe" "" "$INSTDIR\Kenesh.exe" 0 SW_SHOWNORMAL "" "${APP_KY} (${APP})"
  CreateShortCut "$DESKTOP\${APP_KY}.lnk" "$INSTDIR\Kenesh.exe" "" "$INSTDIR\Kenesh.exe" 0 SW_SHOWNORMAL "" "${APP_KY} (${APP})"
  WriteRegStr HKCU "Software\Kenesh" "InstallDir" "$INSTDIR"
  WriteRegStr HKCU "Software\Kenesh" "Version" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayName" "${APP_KY} (${APP})"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayVersion" "${VERSION}"
  WriteRegStr HKCU "${UNINST_KEY}" "Publisher" "Kenesh"
  WriteRegStr HKCU "${UNINST_KEY}" "DisplayIcon" "$INSTDIR\Kenesh.exe"
  WriteRegStr HKCU "${UNINST_KEY}" "InstallLocation" "$INSTDIR"
  WriteRegStr HKCU "${UNINST_KEY}" "UninstallString" '"$INSTDIR\Uninstall.exe"'
  WriteRegStr HKCU "${UNINST_KEY}" "QuietUninstallString" '"$INSTDIR\Uninstall.exe" /S'
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoModify" 1
  WriteRegDWORD HKCU "${UNINST_KEY}" "NoRepair" 1
  StrCmp $Restart 1 0 +2
  Exec '"$INSTDIR\Kenesh.exe"'
SectionEnd

Section "Uninstall"
  SetShellVarContext current
  Delete "$INSTDIR\Kenesh.exe"
  Delete "$INSTDIR\Uninstall.exe"
  RMDir "$INSTDIR"
  Delete "$SMPROGRAMS\${APP_KY}.lnk"
  Delete "$DESKTOP\${APP_KY}.lnk"
  DeleteRegKey HKCU "${UNINST_KEY}"
  DeleteRegKey HKCU "Software\Kenesh"
  ; The records ($LOCALAPPDATA\Kenesh) are the council's: never deleted here.
  DetailPrint "$(DataKept)"
SectionEnd
