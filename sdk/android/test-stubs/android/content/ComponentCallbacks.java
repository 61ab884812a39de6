package android.content;

import android.content.res.Configuration;

/** Stub of android.content.ComponentCallbacks. */
public interface ComponentCallbacks {
    void onConfigurationChanged(Configuration newConfig);

    void onLowMemory();
}
