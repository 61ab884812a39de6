package android.util;

/** Stub of android.util.Log: lines on stderr ("W/Tag: message"). */
public final class Log {
    public static final int VERBOSE = 2, DEBUG = 3, INFO = 4, WARN = 5, ERROR = 6;

    private static int print(String level, String tag, String msg, Throwable tr) {
        System.err.println(level + "/" + tag + ": " + msg + (tr == null ? "" : " (" + tr + ")"));
        return 0;
    }

    public static int d(String tag, String msg) {
        return print("D", tag, msg, null);
    }

    public static int i(String tag, String msg) {
        return print("I", tag, msg, null);
    }

    public static int w(String tag, String msg) {
        return print("W", tag, msg, null);
    }

    public static int w(String tag, String msg, Throwable tr) {
        return print("W", tag, msg, tr);
    }

    public static int e(String tag, String msg) {
        return print("E", tag, msg, null);
    }

    public static int e(String tag, String msg, Throwable tr) {
        return print("E", tag, msg, tr);
    }
}
