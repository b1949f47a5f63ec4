-- An institution's imports remove a customer with all their data, and exports read one customer's
-- data: documents and history are found by customer, not by scanning the institution's rows.
CREATE INDEX documents_by_customer ON documents (org_code, customer_id);
CREATE INDEX history_by_customer ON history (org_code, customer_id);
