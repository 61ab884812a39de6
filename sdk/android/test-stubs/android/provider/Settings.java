package android.provider;

import android.content.ContentResolver;

/** Stub of android.provider.Settings (Secure.ANDROID_ID only). */
public final class Settings {
    public static final class Secure {
        public static final String ANDROID_ID = "android_id";

        public static String getString(ContentResolver resolver, String name) {
            return resolver.testOnlyGetSecure(name);
        }
    }
}
