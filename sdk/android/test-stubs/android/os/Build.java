package android.os;

/** Stub of android.os.Build: values from system properties (not compile-time constants, as on a device). */
public class Build {
    public static final String BRAND = System.getProperty("android.os.Build.BRAND", "generic");
    public static final String MODEL = System.getProperty("android.os.Build.MODEL", "JVM");
    public static final String MANUFACTURER = System.getProperty("android.os.Build.MANUFACTURER", "generic");

    public static class VERSION {
        public static final String RELEASE = System.getProperty("android.os.Build.VERSION.RELEASE", "14");
        public static final int SDK_INT = Integer.getInteger("android.os.Build.VERSION.SDK_INT", 34);
    }
}
