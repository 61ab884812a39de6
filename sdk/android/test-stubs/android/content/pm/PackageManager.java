package android.content.pm;

/** Stub of android.content.pm.PackageManager: one installed package with a version and installer. */
public class PackageManager {
    private final String packageName;
    private final String versionName;
    private final String installer;

    /** Test-only constructor. */
    public PackageManager(String packageName, String versionName, String installer) {
        this.packageName = packageName;
        this.versionName = versionName;
        this.installer = installer;
    }

    public PackageInfo getPackageInfo(String packageName, int flags) throws NameNotFoundException {
        if (!this.packageName.equals(packageName)) throw new NameNotFoundException(packageName);
        PackageInfo info = new PackageInfo();
        info.packageName = packageName;
        info.versionName = versionName;
        return info;
    }

    public String getInstallerPackageName(String packageName) {
        if (!this.packageName.equals(packageName)) throw new IllegalArgumentException(packageName);
        return installer;
    }

    public static class NameNotFoundException extends Exception {
        public NameNotFoundException() {}

        public NameNotFoundException(String name) {
            super(name);
        }
    }
}
