package android.content;

import android.content.pm.PackageManager;
import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Stub of android.content.Context: a files directory, preferences, package info and callbacks. */
public class Context {
    public static final int MODE_PRIVATE = 0;

    private final File dataDir;
    private final String packageName;
    private final PackageManager packageManager;
    private final ContentResolver contentResolver = new ContentResolver();
    private final Map<String, SharedPreferences> preferences = new HashMap<>();
    private final List<ComponentCallbacks> callbacks = new ArrayList<>();

    /** Test-only constructor: the app's data directory, package name and package manager. */
    public Context(File dataDir, String packageName, PackageManager packageManager) {
        this.dataDir = dataDir;
        this.packageName = packageName;
        this.packageManager = packageManager;
    }

    public Context getApplicationContext() {
        return this;
    }

    public File getFilesDir() {
        File files = new File(dataDir, "files");
        files.mkdirs();
        return files;
    }

    public synchronized SharedPreferences getSharedPreferences(String name, int mode) {
        SharedPreferences prefs = preferences.get(name);
        if (prefs == null) {
            prefs = new TestOnlySharedPreferences(new File(new File(dataDir, "shared_prefs"), name + ".properties"));
            preferences.put(name, prefs);
        }
        return prefs;
    }

    public String getPackageName() {
        return packageName;
    }

    public PackageManager getPackageManager() {
        return packageManager;
    }

    public ContentResolver getContentResolver() {
        return contentResolver;
    }

    public synchronized void registerComponentCallbacks(ComponentCallbacks callback) {
        callbacks.add(callback);
    }

    public synchronized void unregisterComponentCallbacks(ComponentCallbacks callback) {
        callbacks.remove(callback);
    }

    /** Test-only: the callbacks registered now (to deliver onTrimMemory as the system would). */
    public synchronized List<ComponentCallbacks> testOnlyCallbacks() {
        return new ArrayList<>(callbacks);
    }
}
