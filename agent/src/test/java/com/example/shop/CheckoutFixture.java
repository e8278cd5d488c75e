package com.example.shop;

import java.util.function.Supplier;

/** An application class, outside every package the caller lookup skips. */
public final class CheckoutFixture {

    public static final int LINE = 12;

    public static <T> T placeOrder(Supplier<T> logCall) {
        // Keep the call on line LINE.
        return logCall.get();
    }

    private CheckoutFixture() {}
}
