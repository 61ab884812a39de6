package android.content;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Test-only SharedPreferences kept in a properties file, so they survive a process restart. */
final class TestOnlySharedPreferences implements SharedPreferences {
    private final File file;
    private final Properties values = new Properties();

    TestOnlySharedPreferences(File file) {
        this.file = file;
        if (file.exists()) {
            try (InputStream in = new FileInputStream(file)) {
                values.load(in);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    public synchronized String getString(String key, String defValue) {
        String v = values.getProperty("s." + key);
        return v == null ? defValue : v;
    }

    public synchronized long getLong(String key, long defValue) {
        String v = values.getProperty("l." + key);
        return v == null ? defValue : Long.parseLong(v);
    }

    public synchronized int getInt(String key, int defValue) {
        String v = values.getProperty("i." + key);
        return v == null ? defValue : Integer.parseInt(v);
    }

    public synchronized boolean getBoolean(String key, boolean defValue) {
        String v = values.getProperty("b." + key);
        return v == null ? defValue : Boolean.parseBoolean(v);
    }

    public synchronized boolean contains(String key) {
        for (String prefix : new String[] {"s.", "l.", "i.", "b."}) {
            if (values.containsKey(prefix + key)) return true;
        }
        return false;
    }

    public Editor edit() {
        return new EditorImpl();
    }

    private synchronized void applyChanges(Map<String, String> puts, java.util.Set<String> removes, boolean clear) {
        if (clear) values.clear();
        for (String key : removes) {
            for (String prefix : new String[] {"s.", "l.", "i.", "b."}) values.remove(prefix + key);
        }
        values.putAll(puts);
        file.getParentFile().mkdirs();
        File tmp = new File(file.getPath() + ".tmp");
        try (OutputStream out = new FileOutputStream(tmp)) {
            values.store(out, null);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        if (!tmp.renameTo(file)) throw new IllegalStateException("rename failed: " + file);
    }

    private final class EditorImpl implements Editor {
        private final Map<String, String> puts = new HashMap<>();
        private final java.util.Set<String> removes = new java.util.HashSet<>();
        private boolean clear;

        private Editor put(String prefix, String key, String value) {
            removes.add(key);
            if (value != null) puts.put(prefix + key, value);
            return this;
        }

        public Editor putString(String key, String value) {
            return put("s.", key, value);
        }

        public Editor putLong(String key, long value) {
            return put("l.", key, Long.toString(value));
        }

        public Editor putInt(String key, int value) {
            return put("i.", key, Integer.toString(value));
        }

        public Editor putBoolean(String key, boolean value) {
            return put("b.", key, Boolean.toString(value));
        }

        public Editor remove(String key) {
            removes.add(key);
            return this;
        }

        public Editor clear() {
            clear = true;
            return this;
        }

        public boolean commit() {
            applyChanges(puts, removes, clear);
            return true;
        }

        public void apply() {
            commit();
        }
    }
}
