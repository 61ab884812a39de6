package android.os;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/** Stub of android.os.Bundle (the puts and reads the SDK and its tests use). */
public final class Bundle {
    private final Map<String, Object> values = new LinkedHashMap<>();

    public Set<String> keySet() {
        return values.keySet();
    }

    public Object get(String key) {
        return values.get(key);
    }

    public int size() {
        return values.size();
    }

    public boolean isEmpty() {
        return values.isEmpty();
    }

    public void putString(String key, String value) {
        values.put(key, value);
    }

    public void putInt(String key, int value) {
        values.put(key, value);
    }

    public void putLong(String key, long value) {
        values.put(key, value);
    }

    public void putDouble(String key, double value) {
        values.put(key, value);
    }

    public void putBoolean(String key, boolean value) {
        values.put(key, value);
    }

    public void putBundle(String key, Bundle value) {
        values.put(key, value);
    }
}
