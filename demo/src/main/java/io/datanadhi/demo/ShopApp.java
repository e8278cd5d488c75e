package io.datanadhi.demo;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * The demo's application: an ordinary SLF4J/Logback service that knows nothing about Data Nadhi.
 * It takes orders, now and then runs low on stock or fails a payment.
 */
public final class ShopApp {

    private static final Logger ORDERS = LoggerFactory.getLogger("com.acme.shop.OrderService");
    private static final Logger PAYMENTS = LoggerFactory.getLogger("com.acme.shop.PaymentService");

    public static void main(String[] args) throws InterruptedException {
        int orders = args.length > 0 ? Integer.parseInt(args[0]) : 30;
        long pauseMillis = args.length > 1 ? Long.parseLong(args[1]) : 50;
        int warnings = 0;
        int errors = 0;
        for (int id = 1; id <= orders; id++) {
            MDC.put("trace_id", "order-" + id);
            MDC.put("customer", id % 3 == 0 ? "gold" : "regular");
            ORDERS.info("order placed id={}", id);
            if (id % 5 == 0) {
                ORDERS.warn("stock low after order {}", id);
                warnings++;
            }
            if (id % 10 == 0) {
                PAYMENTS.error("payment failed for order " + id,
                        new IllegalStateException("card declined", new java.io.IOException("gateway timeout")));
                errors++;
            }
            MDC.clear();
            Thread.sleep(pauseMillis);
        }
        System.out.println("shop: logged " + orders + " orders, " + warnings + " warnings, " + errors + " errors");
    }
}
