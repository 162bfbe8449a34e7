-- A hospital dataset for testing the rule-based engine on a schema it was not tuned for:
-- another domain, CamelCase names, abbreviations. Deterministic: every value is computed
-- from the row number.
CREATE SCHEMA clinic;

CREATE TABLE clinic.Departments (
    DeptId INTEGER PRIMARY KEY,
    DeptName VARCHAR NOT NULL,
    Floor INTEGER NOT NULL
);
COMMENT ON TABLE clinic.Departments IS 'Hospital departments.';

CREATE TABLE clinic.Physicians (
    PhysicianId INTEGER PRIMARY KEY,
    FullName VARCHAR NOT NULL,
    Specialty VARCHAR NOT NULL,
    DeptId INTEGER NOT NULL REFERENCES clinic.Departments (DeptId),
    HireDate DATE NOT NULL
);

CREATE TABLE clinic.Patients (
    PatientId INTEGER PRIMARY KEY,
    PatientName VARCHAR NOT NULL,
    Gender VARCHAR NOT NULL,
    City VARCHAR NOT NULL,
    BirthDate DATE NOT NULL
);

CREATE TABLE clinic.Admissions (
    AdmissionId INTEGER PRIMARY KEY,
    PatientId INTEGER NOT NULL REFERENCES clinic.Patients (PatientId),
    PhysicianId INTEGER NOT NULL REFERENCES clinic.Physicians (PhysicianId),
    AdmitDate DATE NOT NULL,
    AdmissionType VARCHAR NOT NULL,
    LengthOfStay INTEGER NOT NULL,
    TotalCharge DECIMAL(10, 2) NOT NULL,
    IsReadmission BOOLEAN NOT NULL
);

CREATE TABLE clinic.Prescriptions (
    RxId INTEGER PRIMARY KEY,
    AdmissionId INTEGER NOT NULL REFERENCES clinic.Admissions (AdmissionId),
    DrugName VARCHAR NOT NULL,
    DoseMg INTEGER NOT NULL,
    Cost DECIMAL(8, 2) NOT NULL
);

INSERT INTO clinic.Departments VALUES
    (1, 'Cardiology', 2), (2, 'Oncology', 3), (3, 'Pediatrics', 1),
    (4, 'Neurology', 4), (5, 'Orthopedics', 2), (6, 'Emergency Medicine', 1);

INSERT INTO clinic.Physicians
SELECT i,
       'Dr. ' || ['Adams', 'Baker', 'Chen', 'Diaz', 'Evans', 'Fischer', 'Garcia', 'Hughes'][1 + i % 8]
           || ' ' || chr(CAST(65 + i % 26 AS INTEGER)) || '.',
       ['Cardiologist', 'Oncologist', 'Pediatrician', 'Neurologist', 'Surgeon'][1 + (i * 3) % 5],
       1 + i % 6,
       DATE '2005-01-01' + CAST((i * 211) % 6500 AS INTEGER)
FROM range(1, 25) AS t(i);

INSERT INTO clinic.Patients
SELECT i,
       'Patient ' || lpad(CAST(i AS VARCHAR), 4, '0'),
       ['female', 'male'][1 + i % 2],
       ['Springfield', 'Riverton', 'Lakeside', 'Hillview', 'Brookfield'][1 + (i * 7) % 5],
       DATE '1940-01-01' + CAST((i * 97) % 25000 AS INTEGER)
FROM range(1, 301) AS t(i);

INSERT INTO clinic.Admissions
SELECT i,
       1 + (i * 7) % 300,
       1 + (i * 5) % 24,
       DATE '2023-01-01' + CAST((i * 13) % 730 AS INTEGER),
       ['Emergency', 'Elective', 'Urgent'][1 + (i * 11) % 3],
       1 + (i * 3) % 14,
       CAST(500 + (i * 37) % 9000 + 0.25 * (i % 4) AS DECIMAL(10, 2)),
       i % 7 = 0
FROM range(1, 1201) AS t(i);

INSERT INTO clinic.Prescriptions
SELECT i,
       1 + (i * 11) % 1200,
       ['Aspirin', 'Ibuprofen', 'Amoxicillin', 'Metformin', 'Lisinopril', 'Atorvastatin', 'Omeprazole', 'Insulin'][1 + (i * 3) % 8],
       50 * (1 + i % 6),
       CAST(5 + (i * 17) % 200 AS DECIMAL(8, 2))
FROM range(1, 3001) AS t(i);
