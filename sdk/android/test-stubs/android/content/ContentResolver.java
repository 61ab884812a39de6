package android.content;

import java.util.HashMap;
import java.util.Map;

/** Stub of android.content.ContentResolver: holds the values Settings.Secure reads. */
public class ContentResolver {
    private final Map<String, String> secure = new HashMap<>();

    /** Test-only: the value Settings.Secure.getString(resolver, name) answers. */
    public synchronized void testOnlyPutSecure(String name, String value) {
        secure.put(name, value);
    }

    /** Test-only (read by the Settings stub). */
    public synchronized String testOnlyGetSecure(String name) {
        return secure.get(name);
    }
}
