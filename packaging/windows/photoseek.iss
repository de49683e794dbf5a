; Inno Setup script for Photoseek (Windows installer around the PyInstaller one-folder build).
;
; Build the bundle first (same spec as Linux/macOS), then compile this script:
;   python packaging\build.py
;   iscc packaging\windows\photoseek.iss            (Inno Setup 6.3 or newer: https://jrsoftware.org/isinfo.php)
; Output: dist\Photoseek-<version>-setup.exe
;
; Override the version or the bundle location from the command line:
;   iscc /DAppVersion=0.2.0 /DBundleDir=C:\path\to\dist\photoseek packaging\windows\photoseek.iss
;
; Installs per user by default (no administrator rights; %LOCALAPPDATA%\Programs\Photoseek),
; or for all users when run as administrator and chosen in the dialog.  Start-menu entry,
; optional desktop icon, optional "photoseek" on the PATH for the command line, uninstaller.
; The user's library and models (%LOCALAPPDATA%\photoseek) are left in place on uninstall.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#ifndef BundleDir
  #define BundleDir "..\..\dist\photoseek"
#endif
#define AppName "Photoseek"
#define AppExe "photoseek.exe"

[Setup]
; A fixed AppId keeps upgrades in place; never change it.
AppId={{6F3C2B1E-8A4D-4F57-9C1E-5B7D2A9E4C10}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=Photoseek
AppComments=Find your photos by text, image, sketch, or a photo plus words. Runs locally.
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
OutputDir=..\..\dist
OutputBaseFilename=Photoseek-{#AppVersion}-setup
SetupIconFile={#BundleDir}\_internal\share\icons\photoseek.ico
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
ChangesEnvironment=yes
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked
Name: "addtopath"; Description: "Add the ""photoseek"" command to the PATH (command line use)"; GroupDescription: "Command line:"; Flags: unchecked

[Files]
; The whole one-folder build: photoseek.exe and _internal\ (Python, Qt, ONNX Runtime, resources).
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[InstallDelete]
; An upgrade replaces the bundle's libraries completely (no stale DLLs from an older version).
Type: filesandordirs; Name: "{app}\_internal"

[Icons]
; No arguments: the desktop app.  photoseek.exe is a console program whose console is
; hidden at start when nobody else owns it (PyInstaller hide_console), so the Start menu
; shows only the window while `photoseek search ...` in a terminal prints as usual.
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"; Comment: "Search your photos"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; WorkingDir: "{userdocs}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Registry]
; PATH entry (per user, or machine-wide for an all-users install); removed by the uninstaller.
Root: HKA; Subkey: "{code:EnvironmentKey}"; ValueType: expandsz; ValueName: "Path"; \
    ValueData: "{olddata};{app}"; Tasks: addtopath; Check: NotOnPath(ExpandConstant('{app}'))

[Code]
function EnvironmentKey(Param: String): String;
begin
  if IsAdminInstallMode then
    Result := 'SYSTEM\CurrentControlSet\Control\Session Manager\Environment'
  else
    Result := 'Environment';
end;

function EnvironmentRoot: Integer;
begin
  if IsAdminInstallMode then
    Result := HKEY_LOCAL_MACHINE
  else
    Result := HKEY_CURRENT_USER;
end;

function NotOnPath(Dir: String): Boolean;
var
  Path: String;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey(''), 'Path', Path) then
  begin
    Result := True;
    exit;
  end;
  Result := Pos(';' + Uppercase(Dir) + ';', ';' + Uppercase(Path) + ';') = 0;
end;

procedure RemoveFromPath(Dir: String);
var
  Path: String;
  P: Integer;
begin
  if not RegQueryStringValue(EnvironmentRoot, EnvironmentKey(''), 'Path', Path) then
    exit;
  Path := ';' + Path + ';';
  P := Pos(';' + Uppercase(Dir) + ';', Uppercase(Path));
  if P = 0 then
    exit;
  Delete(Path, P, Length(Dir) + 1);
  Path := Copy(Path, 2, Length(Path) - 2);
  RegWriteExpandStringValue(EnvironmentRoot, EnvironmentKey(''), 'Path', Path);
end;

procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if CurUninstallStep = usPostUninstall then
    RemoveFromPath(ExpandConstant('{app}'));
end;
